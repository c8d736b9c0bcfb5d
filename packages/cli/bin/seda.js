#!/usr/bin/env node
// The `seda` command. A committed launcher (not a build output), so npm can
// link it at install time, before `prepare` compiles dist/.
import('../dist/src/bin.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/bin.js')) {
    process.stderr.write('error: seda is not built yet: run "npm run build" (npm install does it)\n');
    process.exit(1);
  }
  throw err;
});
