// Mirrors app/src/ids.rs (a Rust unit test checks that the two agree).
module.exports = {
  MAIN: 'main',
  LANG_SWITCH: 'lang-switch',
  FACILITY_FORM: 'facility-form',
  FACILITY_SEARCH: 'facility-search',
  FACILITY_CITY: 'facility-city',
  FACILITY_KIND: 'facility-kind',
  FACILITY_SUBMIT: 'facility-submit',
  FACILITY_LIST: 'facility-list',
  FACILITY_COUNT: 'facility-count',
  HYDRATED_ATTR: 'data-hydrated',
};
