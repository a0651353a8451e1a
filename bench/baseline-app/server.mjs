/**
 * Serves the baseline's build (in the scratch project directory BASELINE_OUT) on PORT as Steward's server serves its
 * own: compressed answers, the build's scripts cached for a year, other files in public/ as they are. A process of its
 * own, like Steward's server in the benchmark.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import express from "express";
import compression from "compression";
import { createRequestHandler } from "@remix-run/express";

const out = process.env.BASELINE_OUT;
const build = await import(pathToFileURL(path.join(out, "build", "index.js")).href);
const app = express();
app.disable("x-powered-by");
app.use(compression());
app.use("/build", express.static(path.join(out, "public", "build"), { immutable: true, maxAge: "1y" }));
app.use(express.static(path.join(out, "public"), { index: false }));
app.get("/healthz", (_req, res) => res.send("ok"));
app.all("*", createRequestHandler({ build, mode: "production" }));
const server = app.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
