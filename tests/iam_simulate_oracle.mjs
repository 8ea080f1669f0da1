// Oracle for tests/test_oracle_iam_simulate.py: decides KMS requests with the public IAM simulator
// @cloud-copilot/iam-simulate (pinned in the root package.json; `npm ci` installs it).
//
// stdin:  {"resource": KEY_ARN, "resource_account": ACCOUNT, "policies": [KEY_POLICY, ...],
//          "cases": [{"policy": INDEX, "action": "kms:Decrypt", "principal": ARN_OR_SERVICE,
//                     "identity_allows": BOOL, "context": {KEY: STRING | [STRING, ...]}}, ...]}
// stdout: {"simulator": VERSION, "results": [{"decision": "Allowed" | "ImplicitlyDenied" |
//          "ExplicitlyDenied", "dropped": [KEY, ...], "unsafe": BOOL} | {"error": TEXT}, ...]}
//
// One process decides every case of a test module. Per case:
//  * the key policy is the simulation's resource policy; `identity_allows` adds an identity policy
//    allowing the action on every resource, otherwise the caller has no identity policy;
//  * context keys that the Service Authorization Reference (the simulator's iam-data) does not
//    define for the action are dropped and reported in `dropped`, so that the caller can drop them
//    from its own request too (AWS never puts them in that action's request context);
//  * a value's shape must match its key's type (a list for ArrayOf... keys, a string otherwise):
//    a mismatch is an error, not a silent conversion as in the simulator's own input handling;
//  * each key policy is validated once (`validateResourcePolicy`); `runSimulation` reports its
//    errors, and every other validation, as an error of the case;
//  * `runSimulation` also drops keys of templated names such as
//    `kms:EncryptionContext:${EncryptionContextKey}` (its input filter only expands `.../${...}`
//    names), so when it ignored a key of such a name, the case is decided again by
//    `runUnsafeSimulation` (same policies and context, no input filtering) and flagged `unsafe`.
//    The key policy goes in as a ValidatedPolicy with a name: `runUnsafeSimulation` loads a plain
//    resource policy without metadata and then crashes reading its name (0.1.173).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createValidatedPolicy, validateResourcePolicy } from '@cloud-copilot/iam-policy';
import {
  allowedContextKeysForRequest,
  isConditionKeyArray,
  runSimulation,
  runUnsafeSimulation,
  typeForContextKey,
} from '@cloud-copilot/iam-simulate';

const require = createRequire(import.meta.url);

function simulatorVersion() {
  let dir = dirname(require.resolve('@cloud-copilot/iam-simulate'));
  while (dir !== dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (manifest.name === '@cloud-copilot/iam-simulate') return manifest.version;
    } catch {
      // no package.json at this level (dist/ has one without a name): keep climbing
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

const allowedKeys = new Map();

async function applicableKeys(action, resource) {
  if (!allowedKeys.has(action)) {
    const [service, name] = action.split(':');
    const keys = new Set(await allowedContextKeysForRequest(service, name, resource));
    const templates = [...keys].filter((k) => k.includes('${')).map((k) => k.slice(0, k.indexOf('${')));
    allowedKeys.set(action, { keys, templates });
  }
  return allowedKeys.get(action);
}

function isTemplated(lowerKey, { templates }) {
  return templates.some((prefix) => lowerKey.startsWith(prefix) && lowerKey.length > prefix.length);
}

function isApplicable(lowerKey, applicable) {
  const { keys } = applicable;
  if (keys.has(lowerKey) || isTemplated(lowerKey, applicable)) return true;
  // tag-style names (aws:PrincipalTag/team): same rule as the simulator's own input filter
  const slash = lowerKey.indexOf('/');
  if (slash === -1) return false;
  const prefix = lowerKey.slice(0, slash + 1);
  return [...keys].some((k) => k.startsWith(prefix));
}

async function decide(header, policies, c) {
  const applicable = await applicableKeys(c.action, header.resource);
  const context = {};
  const dropped = [];
  for (const [key, value] of Object.entries(c.context)) {
    if (!isApplicable(key.toLowerCase(), applicable)) {
      dropped.push(key);
      continue;
    }
    const type = await typeForContextKey(key);
    if (isConditionKeyArray(type) !== Array.isArray(value)) {
      return { error: `shape: ${key} is ${type}, got ${JSON.stringify(value)}` };
    }
    context[key] = value;
  }
  const simulation = {
    identityPolicies: c.identity_allows
      ? [
          {
            name: 'CallerIdentityPolicy',
            policy: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: c.action, Resource: '*' }],
            },
          },
        ]
      : [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: policies[c.policy],
    request: {
      action: c.action,
      principal: c.principal,
      resource: { resource: header.resource, accountId: header.resource_account },
      contextVariables: context,
    },
  };
  const safe = await runSimulation(simulation, {});
  if (safe.resultType === 'error') return { error: `simulator: ${JSON.stringify(safe.errors)}` };
  if (safe.resultType !== 'single') return { error: `simulator: unexpected ${safe.resultType} result` };
  const ignored = safe.result.ignoredContextKeys ?? [];
  if (ignored.length === 0) return { decision: safe.overallResult, dropped, unsafe: false };
  const unexpected = ignored.filter((k) => !isTemplated(k.toLowerCase(), applicable));
  if (unexpected.length > 0) return { error: `simulator ignored ${unexpected}` };
  const decision = runUnsafeSimulation(simulation, {});
  return { decision, dropped, unsafe: true };
}

const input = JSON.parse(readFileSync(0, 'utf8'));
const policies = input.policies.map((document, index) =>
  createValidatedPolicy(document, validateResourcePolicy, { name: `KeyPolicy${index}` }),
);
const results = [];
for (const c of input.cases) {
  try {
    results.push(await decide(input, policies, c));
  } catch (error) {
    results.push({ error: `exception: ${error?.stack ?? error}` });
  }
}
process.stdout.write(JSON.stringify({ simulator: simulatorVersion(), results }));
