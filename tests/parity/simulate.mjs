// Parity harness (test/dev only): decides a batch of IAM requests with @cloud-copilot/iam-simulate.
// @cloud-copilot/iam-simulate is AGPL-3.0: it is a devDependency used by tests, never shipped with the library.
//
// stdin:  {"policies": [<policy document>, ...],
//          "cases": [{"id": "...", "simulation": <iam-simulate Simulation, a policy may be {"$ref": index}>}, ...]}
// stdout: {"results": [{"id": "...", "result": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "error",
//                       "errors": <validation errors, when result is "error">, "ignoredContextKeys": [...]}]}
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)
const simulate = require('@cloud-copilot/iam-simulate')

// Speed only: the simulator looks up the resource types of (service, action, resource) from its IAM data on every
// simulation (about half of its run time here). The lookup is a pure function of its arguments, so it is memoized
// for the batch; the simulator's own module object is patched, no file is changed.
const resourceTypes = require(path.join(path.dirname(require.resolve('@cloud-copilot/iam-simulate')),
  'simulation_engine', 'resourceTypes.js'))
const lookup = resourceTypes.getResourceTypesForAction
const memo = new Map()
resourceTypes.getResourceTypesForAction = (service, action, resource) => {
  const key = JSON.stringify([service, action, resource])
  if (!memo.has(key)) memo.set(key, lookup(service, action, resource))
  return memo.get(key)
}

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

async function decide(simulation) {
  if (simulation.request.principal === 'anonymous') simulation.request.principal = simulate.anonymousPrincipal
  const response = await simulate.runSimulation(simulation, { simulationMode: 'Strict' })
  if (response.resultType === 'error') return { result: 'error', errors: response.errors }
  if (response.resultType === 'single') {
    return { result: response.overallResult, ignoredContextKeys: response.result.ignoredContextKeys ?? [] }
  }
  return { result: response.overallResult, wildcard: true }
}

// Every distinct policy document is sent once; {"$ref": n} points at policies[n].
function resolveRefs(value, policies) {
  if (Array.isArray(value)) return value.map((item) => resolveRefs(item, policies))
  if (value && typeof value === 'object') {
    if (Object.keys(value).length === 1 && '$ref' in value) return policies[value.$ref]
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(v, policies)]))
  }
  return value
}

const batch = JSON.parse(await readStdin())
const results = []
for (const entry of batch.cases) {
  try {
    results.push({ id: entry.id, ...(await decide(resolveRefs(entry.simulation, batch.policies ?? []))) })
  } catch (error) {
    results.push({ id: entry.id, result: 'error', errors: { message: String(error?.stack ?? error) } })
  }
}
process.stdout.write(JSON.stringify({ results }))
