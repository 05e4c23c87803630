export * from './config.ts';
export * from './errors.ts';
export * from './paths.ts';
export * from './token.ts';
export * from './wait-scale.ts';
