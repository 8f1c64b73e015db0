/**
 * Where Covenant lives: SARIF's `informationUri` for every tool driver Covenant writes. The App
 * manifest (app.yml `url`), package.json (`homepage`) and the Action's `uses:` recipes name the same
 * repository; test/ci-recipes.test.ts keeps them in step.
 */
export const PROJECT_URL = "https://github.com/covenant-dev/covenant";
