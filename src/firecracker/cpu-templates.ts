// Firecracker's CPU template names (machine-config cpu_template), apart from the zod schemas so
// that a CLI's --help can list them without loading zod.
export const CPU_TEMPLATE_NAMES = ['C3', 'T2', 'T2S', 'T2CL', 'T2A', 'V1N1', 'None'] as const;
