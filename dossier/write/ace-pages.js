// Loaded into DAISY Ace's Node process (NODE_OPTIONS=--require, dossier/write/validate.py's
// run_ace): Ace checks its content documents 4 at a time in one headless Chromium, whatever
// the machine, a setting its command line does not offer (@daisy/ace-axe-runner-puppeteer's
// `concurrency`). Each document open at once holds its own page (DOM, styles, axe's results):
// on a 300-page dossier's EPUB, 4 at a time made Chromium 744 MB, 2 at a time 598 MB, in the
// same time on 2 cores (bench/README.md, 2026-12-04). DOSSIER_ACE_PAGES says how many; every
// document is still checked, with the same rules, and Ace's report is the same.
'use strict';

const Module = require('module');
const pages = parseInt(process.env.DOSSIER_ACE_PAGES || '', 10);

if (pages > 0) {
  const load = Module._load;
  Module._load = function (request) {
    const exported = load.apply(this, arguments);
    if (request === '@daisy/ace-axe-runner-puppeteer' && exported && typeof exported === 'object') {
      exported.concurrency = pages;
    }
    return exported;
  };
}
