#!/usr/bin/env node
// `npx async-gateway …`: the operator CLI, run from its TypeScript source through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
