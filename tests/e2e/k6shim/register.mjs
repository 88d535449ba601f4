// Maps the k6 module names to the shims in this folder (node >= 18.19).
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
