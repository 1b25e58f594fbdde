"use strict";
/*
 * Preload for the jsii kernel process only (installed by stacks/jsii_runtime/__init__.py with `--require`).
 *
 * The prebuilt provider's JavaScript entry point, @cdktf/provider-aws/lib/index.js, is 2,135 lines of
 * `exports.x = require("./x");`: loading the package loads every resource module, the Node-side twin of
 * the Python provider's eager imports (stacks/jsii_runtime/fast_import.py). This hook serves that one file to Node
 * with each such line turned into a getter that requires the module on first access and then replaces
 * itself with the plain value, so the kernel loads only the resource modules the app uses. Nothing on
 * disk is changed: the package in jsii's cache stays as installed.
 *
 * Safety: the file is rewritten only when every line has one of the shapes listed in LINE_SHAPES; any
 * other layout (a new provider release) is loaded unchanged -- identical output, just slower. Property
 * names, order and enumerability of the exports stay as they were.
 *
 * It uses module.registerHooks (synchronous, in-thread load hooks for require and import; Node >= 22.15).
 * Without it nothing is changed.
 *
 * jsii's launcher (bin/jsii-runtime.js, started by Python) runs the kernel proper (lib/program.js) as its
 * child with the environment it inherited: in the launcher this file does nothing, so that NODE_OPTIONS
 * reaches the kernel; in the kernel it restores the environment and installs the hook.
 *
 * Environment (set by stacks/jsii_runtime/__init__.py for the kernel's start only):
 *   ZTAI_KERNEL_RESTORE  JSON {"NODE_OPTIONS": <value or null>}: NODE_OPTIONS as it was before the
 *                        kernel was started, restored here so that processes the kernel might start do
 *                        not inherit this preload.
 *   ZTAI_KERNEL_REPORT   optional file: on exit, JSON of what was done (used by tests and the benchmark).
 */
const fs = require("node:fs");
const path = require("node:path");
const nodeModule = require("node:module");
const { fileURLToPath } = require("node:url");

const PACKAGE_NAME = "@cdktf/provider-aws";
const LAZY_LINE = /^exports\.([A-Za-z_$][A-Za-z0-9_$]*) = require\("(\.\/[A-Za-z0-9_.-]+)"\);$/;
const LINE_SHAPES = [
  /^$/,
  /^"use strict";$/,
  /^\/\*\*?$/,
  /^ \*( .*)?$/,
  /^ \*\/$/,
  /^\/\/ .*$/,
  /^\/\/# sourceMappingURL=\S+$/,
  /^Object\.defineProperty\(exports, "__esModule", \{ value: true \}\);$/,
  /^(exports\.[A-Za-z_$][A-Za-z0-9_$]* = )+void 0;$/,
];
// Defined on the first line (after "use strict") so that line numbers -- and the inline source map -- stay
// true. Each getter requires its module once, then becomes the same data property the original assignment
// would have created (writable, enumerable, configurable).
const HELPER =
  "function __ztaiLazy(name, id) { const own = (value) => Object.defineProperty(exports, name, " +
  "{ value, writable: true, enumerable: true, configurable: true }); Object.defineProperty(exports, name, " +
  "{ enumerable: true, configurable: true, get() { const value = require(id); own(value); return value; }, " +
  "set(value) { own(value); } }); }";

const report = { preload: true, hooks: typeof nodeModule.registerHooks === "function", rewritten: [], fallback: [] };

const isLauncher = path.basename(process.argv[1] || "") === "jsii-runtime.js";
report.process = isLauncher ? "launcher" : "kernel";
if (!isLauncher) restoreEnvironment();

function restoreEnvironment() {
  const saved = process.env.ZTAI_KERNEL_RESTORE;
  if (saved === undefined) return;
  delete process.env.ZTAI_KERNEL_RESTORE;
  try {
    const before = JSON.parse(saved);
    if (typeof before.NODE_OPTIONS === "string") process.env.NODE_OPTIONS = before.NODE_OPTIONS;
    else delete process.env.NODE_OPTIONS;
  } catch {
    delete process.env.NODE_OPTIONS;
  }
}

/** The lazy source, or null when any line is not of a known shape. */
function lazySource(source) {
  const lines = source.split("\n");
  let lazy = 0;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index];
    const match = LAZY_LINE.exec(line);
    if (match !== null) {
      lines[index] = `__ztaiLazy(${JSON.stringify(match[1])}, ${JSON.stringify(match[2])});`;
      lazy += 1;
    } else if (!LINE_SHAPES.some((shape) => shape.test(line))) {
      return null;
    }
  }
  if (lazy === 0 || lines[0] !== '"use strict";') return null;
  lines[0] = `"use strict"; ${HELPER}`;
  return { text: lines.join("\n"), lazy };
}

const packageNames = new Map();
function isProviderEntry(filename) {
  if (path.basename(filename) !== "index.js" || path.basename(path.dirname(filename)) !== "lib") return false;
  const root = path.dirname(path.dirname(filename));
  if (!packageNames.has(root)) {
    let name = null;
    try {
      name = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).name;
    } catch {
      name = null;
    }
    packageNames.set(root, name);
  }
  return packageNames.get(root) === PACKAGE_NAME;
}

if (report.hooks && !isLauncher) {
  nodeModule.registerHooks({
    load(url, context, nextLoad) {
      const loaded = nextLoad(url, context);
      if (!url.startsWith("file:")) return loaded;
      const filename = fileURLToPath(url);
      if (!isProviderEntry(filename) || loaded.source == null) return loaded;
      const rewritten = lazySource(String(loaded.source));
      if (rewritten === null) {
        report.fallback.push(filename);
        return loaded;
      }
      report.rewritten.push({ file: filename, lazy: rewritten.lazy });
      return { ...loaded, source: rewritten.text, shortCircuit: true };
    },
  });
}

if (process.env.ZTAI_KERNEL_REPORT && !isLauncher) {
  const target = process.env.ZTAI_KERNEL_REPORT;
  process.on("exit", () => {
    const loaded = Object.keys(require.cache)
      .filter((file) => file.includes(`${path.sep}provider-aws${path.sep}`) && file.endsWith(`${path.sep}index.js`))
      .map((file) => path.basename(path.dirname(file)))
      .filter((name) => name !== "lib")
      .sort();
    const usage = process.resourceUsage();
    const cpu = { user_ms: usage.userCPUTime / 1000, system_ms: usage.systemCPUTime / 1000 };
    const nodeOptions = process.env.NODE_OPTIONS ?? null; // as restored: what the kernel's children would get
    const summary = { ...report, loaded, node_options: nodeOptions, cpu, max_rss_kb: usage.maxRSS };
    fs.writeFileSync(target, `${JSON.stringify(summary, null, 1)}\n`);
  });
}
