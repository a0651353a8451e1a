// Part of `npm run build`: the embedded database's template (decision 012), made once per PGlite version.
import fs from "node:fs";
import path from "node:path";
import { templateFileName, writeTemplate } from "../db/pglite-template";

const out = path.resolve("build");
const file = path.join(out, templateFileName());
if (fs.existsSync(file)) {
  console.log(`embedded database template: ${path.relative(process.cwd(), file)} (kept)`);
} else {
  const written = await writeTemplate(out);
  console.log(`embedded database template: ${path.relative(process.cwd(), written)} (${(fs.statSync(written).size / 1048576).toFixed(1)} MB)`);
}
