// The built code finds openapi.yaml and config/ beside it, as the sources do from the repo root.
import { cpSync } from 'node:fs';

cpSync('openapi.yaml', 'dist/openapi.yaml');
cpSync('config', 'dist/config', { recursive: true });
// The dashboard's static page, found beside the compiled routes as in the sources.
cpSync('src/admin-ui', 'dist/src/admin-ui', { recursive: true });
// Lua scripts, read beside the compiled core (src/core/scripts.ts).
cpSync('src/core/scripts', 'dist/src/core/scripts', { recursive: true });
