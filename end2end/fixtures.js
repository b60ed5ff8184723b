// What end2end/serve.sh wrote for the tests (end2end/fixtures.py): the accounts each test
// signs in as, and the period the fixed demo data lives in. The data never moves with the
// calendar, so a test that needs sessions opens that period (`dataMonthPath`) rather than the
// page's default "this month" (issue 26: from December 2026 on the default month is empty).
const fs = require('fs');
const path = require('path');

const fixtures = () =>
  JSON.parse(fs.readFileSync(path.join(__dirname, '../target/e2e/fixtures.json'), 'utf8'));

/** `/history?year=2026&month=11`: the last month of the demo data. */
const dataMonthPath = (page = '/history') => {
  const f = fixtures();
  return `${page}?year=${f.dataYear}&month=${f.dataMonth}`;
};

module.exports = { fixtures, dataMonthPath };
