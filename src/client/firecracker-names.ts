// Names from Firecracker's API that need no schema to list (for help texts): loading them does not
// load zod, unlike firecracker-schemas.ts.
export { CPU_TEMPLATE_NAMES } from '../firecracker/cpu-templates.ts';
