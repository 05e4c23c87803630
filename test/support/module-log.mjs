// node --import ./module-log.mjs: appends the file: URL of every module the process loads to the
// file named by FC_TEST_MODULE_LOG: ES modules through a resolve hook (hooks run on their own
// thread, so a file, not stdout), CommonJS files as the CommonJS loader compiles them.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.startsWith('file:')) appendFileSync(process.env.FC_TEST_MODULE_LOG, r.url + '\\n');
  return r;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

const compile = Module.prototype._compile;
Module.prototype._compile = function (content, filename) {
  appendFileSync(process.env.FC_TEST_MODULE_LOG, `${pathToFileURL(filename).href}\n`);
  return compile.call(this, content, filename);
};
