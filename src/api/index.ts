export * from './console.ts';
export * from './events.ts';
export * from './guest.ts';
export * from './limits.ts';
export * from './network.ts';
export * from './schemas.ts';
