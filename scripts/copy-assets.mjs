// The built code finds openapi.yaml and config/ beside it, as the sources do from the repo root.
import { cpSync } from 'node:fs';

cpSync('openapi.yaml', 'dist/openapi.yaml');
cpSync('config', 'dist/config', { recursive: true });
