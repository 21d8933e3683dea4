export { formatBytes, plural } from '../core/units.js';
