// node --import ./module-log.mjs: appends the file: URL of every module the process loads to the
// file named by FC_TEST_MODULE_LOG (module hooks run on their own thread, so a file, not stdout).
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.startsWith('file:')) appendFileSync(process.env.FC_TEST_MODULE_LOG, r.url + '\\n');
  return r;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
