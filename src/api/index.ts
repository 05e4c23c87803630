export * from './console.ts';
export * from './schemas.ts';
