import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { envoyBinary, PACKAGE_ROOT, waitFor } from '../support/gateway-harness.js';
import { freeRunPorts, type RunPorts } from '../support/launch.js';

/**
 * The README's shell examples, run as written against the gateway `make run` starts from the
 * shipped config/gateway.yaml (dist/src/cli/run-local.js), as on a fresh clone: no provider
 * key set, so only the demo model is served. Only the ports differ, so the test can run beside
 * a developer's own `make run`: the configuration's ports are moved to free ones and the
 * examples' 8080 and 9090 rewritten to match.
 *
 * Each ```sh block is marked by the HTML comment before it: `readme-test: run` (run here, every
 * curl must get a 2xx), `readme-test: start` (how to start the gateway: its VAR=value
 * assignments are the launcher's environment) or `readme-test: skip (why)`.
 */
interface ShellBlock {
  /** 1-based line of the opening fence. */
  line: number;
  marker: string | undefined;
  code: string;
}

function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    if (!/^```(sh|bash|shell)\s*$/.test(lines[index]!)) continue;
    let previous = index - 1;
    while (previous >= 0 && lines[previous]!.trim() === '') previous -= 1;
    const marker = /^<!-- readme-test: (.+?) -->$/.exec(lines[previous] ?? '')?.[1];
    const end = lines.findIndex((line, at) => at > index && line.startsWith('```'));
    blocks.push({ line: index + 1, marker, code: lines.slice(index + 1, end).join('\n') });
    index = end;
  }
  return blocks;
}

const README = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
const BLOCKS = shellBlocks(README);
/** Every curl must succeed, with a 2xx: a 401 or 404 printed as JSON is a failed example. */
const PRELUDE = 'set -euo pipefail\ncurl() { command curl --fail-with-body --show-error "$@"; }\n';

describe("the README's shell examples", () => {
  test('every ```sh block is run by this test, starts the gateway, or says why it is skipped', () => {
    assert.ok(BLOCKS.length >= 4);
    for (const block of BLOCKS) assert.match(block.marker ?? '', /^(run|start|skip \(.+\))$/, `README.md:${block.line} has no readme-test marker`);
  });

  describe('against the gateway `make run` starts from config/gateway.yaml', () => {
    let ports: RunPorts;
    let child: ReturnType<typeof spawn>;
    let output = '';

    before(async () => {
      ports = await freeRunPorts();
      const starts = BLOCKS.filter((block) => block.marker === 'start');
      assert.equal(starts.length, 1, 'one README block says how to start the gateway');
      const start = /^((?:[A-Z_]+=\S+ )*)make run$/.exec(starts[0]!.code.trim());
      assert.ok(start, `README.md:${starts[0]!.line}: expected "[VAR=value ...] make run", got ${starts[0]!.code}`);
      const readmeEnvironment = Object.fromEntries(start[1]!.trim().split(/\s+/).filter(Boolean).map((pair) => pair.split('=') as [string, string]));

      // The shipped configuration, its ports moved; everything else as shipped.
      const directory = mkdtempSync(join(tmpdir(), 'llm-gateway-readme-'));
      const configuration = parse(readFileSync(join(PACKAGE_ROOT, 'config/gateway.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
      configuration.listener!.port = ports.listener;
      configuration.sidecar!.grpc_port = ports.grpc;
      configuration.sidecar!.admin_port = ports.admin;
      configuration.envoy!.admin_port = ports.envoyAdmin;
      configuration.envoy!.metrics_port = ports.envoyMetrics;
      const configPath = join(directory, 'gateway.yaml');
      writeFileSync(configPath, stringify(configuration));

      child = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist/src/cli/run-local.js')], {
        cwd: directory,
        env: {
          PATH: process.env.PATH ?? '',
          GATEWAY_CONFIG: configPath,
          ENVOY_BIN: envoyBinary(),
          // config/gateway.yaml's own placeholder for where the demo stand-in listens.
          GATEWAY_DEMO_URL: `http://127.0.0.1:${ports.demo}/v1`,
          // Prices are read from config/prices.yaml in the package, as `make run` reads them from the clone.
          ...readmeEnvironment,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await waitFor('the gateway to serve', async () => (await fetch(`http://127.0.0.1:${ports.listener}/v1/models`).catch(() => undefined))?.status === 401, () => output, 30_000);
    });

    after(async () => {
      await new Promise<void>((resolve) => {
        if (!child || child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      });
    });

    /** The block with the README's ports moved to this gateway's; none of 8080 or 9090 may be left. */
    const onTheseports = (code: string): string => {
      const moved = code.replace(/\b(?:127\.0\.0\.1|localhost):8080\b/g, `127.0.0.1:${ports.listener}`).replace(/\b(?:127\.0\.0\.1|localhost):9090\b/g, `127.0.0.1:${ports.admin}`);
      assert.doesNotMatch(moved, /:(8080|9090)\b/, 'an address the test does not know how to move');
      return moved;
    };

    for (const block of BLOCKS.filter((candidate) => candidate.marker === 'run')) {
      test(`README.md:${block.line} runs as written`, () => {
        const result = spawnSync('bash', ['-c', PRELUDE + onTheseports(block.code)], {
          encoding: 'utf8',
          // The examples use node (the gateway's own prerequisite) to read JSON.
          env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
          timeout: 60_000,
        });
        assert.equal(result.status, 0, `README.md:${block.line} failed:\n${result.stderr}\n${result.stdout}`);
        assert.doesNotMatch(result.stdout, /"error"\s*:\s*\{/, 'no example answered with an error');
        assert.match(result.stdout, /\S/, 'the example printed its answers');
      });
    }

    test('the examples reached this gateway: the README keys were served by the demo model', async () => {
      const served = (alias: string) => output.split('\n').some((line) => line.includes('"event":"request"') && line.includes(`"key_alias":"${alias}"`) && line.includes('"model":"demo"'));
      await waitFor("the request log lines of the README's keys", () => served('local-dev') && served('batch-jobs'), () => output);
    });
  });
});
