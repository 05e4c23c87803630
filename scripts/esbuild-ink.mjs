// Ink imports React DevTools (react-devtools-core) only when DEV=true. It is not a dependency of
// fc-macos, so bundles that contain Ink (the CLI, the bench) resolve it to an empty module.
export const noReactDevtools = {
  name: 'no-react-devtools',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({
      path: 'react-devtools-core',
      namespace: 'none',
    }));
    b.onLoad({ filter: /.*/, namespace: 'none' }, () => ({ contents: 'export default undefined;' }));
  },
};
