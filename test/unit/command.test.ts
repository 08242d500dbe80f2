/**
 * Tests for container command analysis (server/src/engine/model/command.ts): sleep
 * durations of preStop hooks, the netstat wait loop, quitquitquit calls, shell detection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  callsAgentQuit,
  isShellCommand,
  netstatWaitLoop,
  sleepArgIndex,
  sleepDuration,
} from '../../server/src/engine/model/command';

type Sleep = { seconds: number; exact: boolean } | undefined;

const LOOP = 'while [ $(netstat -plunt | grep tcp | grep -v envoy | wc -l | xargs) -ne 0 ]; do sleep 1; done';

// [command, sleepDuration, sleepArgIndex]
const sleeps: Array<[command: string[], expected: Sleep, index: number | undefined]> = [
  [['sleep', '10'], { seconds: 10, exact: true }, 1],
  [['sleep', '1.5'], { seconds: 1.5, exact: true }, 1],
  [['sleep', '10s'], { seconds: 10, exact: true }, 1],
  [['sleep', '1m'], { seconds: 60, exact: true }, 1],
  [['sleep', '2h'], { seconds: 7200, exact: true }, 1],
  [['sleep', '1d'], { seconds: 86400, exact: true }, 1],
  [['sleep', '1m', '30'], { seconds: 90, exact: true }, 1],
  [['sleep', '0'], { seconds: 0, exact: true }, 1],
  [['sleep', '.5'], { seconds: 0.5, exact: true }, 1],
  [['sleep', '--', '10'], { seconds: 10, exact: true }, 2],
  [['/bin/sleep', '5'], { seconds: 5, exact: true }, 1],
  [['/usr/bin/sleep', '5'], { seconds: 5, exact: true }, 1],
  [['busybox', 'sleep', '5'], { seconds: 5, exact: true }, 2],
  [['sh', '-c', 'sleep 20'], { seconds: 20, exact: true }, 2],
  [['/bin/sh', '-c', 'sleep 20'], { seconds: 20, exact: true }, 2],
  [['/bin/bash', '-c', 'sleep 5 && nginx -s quit'], { seconds: 5, exact: false }, 2],
  [['sh', '-c', 'exec sleep 10'], { seconds: 10, exact: true }, 2],
  [['sh', '-c', 'exec sleep 10; nginx -s quit'], { seconds: 10, exact: true }, 2],
  [['sh', '-c', 'sleep 5; sleep 5'], { seconds: 10, exact: true }, 2],
  [['sh', '-c', 'sleep 5\nsleep 5\n'], { seconds: 10, exact: true }, 2],
  [['sh', '-c', 'sleep 5 && sleep 1m'], { seconds: 65, exact: true }, 2],
  [['sh', '-c', 'sleep 0.1 0.2'], { seconds: 0.3, exact: true }, 2],
  [['sh', '-c', 'sleep 5; nginx -s quit; sleep 3'], { seconds: 5, exact: false }, 2],
  [['sh', '-c', `sleep 5 && ${LOOP}`], { seconds: 5, exact: false }, 2],
  [['sh', '-c', 'sleep 5 # let endpoints update'], { seconds: 5, exact: true }, 2],
  [['sh', '-c', 'set -e; sleep 5'], { seconds: 5, exact: true }, 2],
  [['sh', '-c', 'sleep 5; exit 0'], { seconds: 5, exact: true }, 2],
  [['sh', '-c', 'sleep 5 || true'], { seconds: 5, exact: true }, 2],
  [['sh', '-c', 'sleep 5 || exit 1; sleep 3'], { seconds: 8, exact: true }, 2],
  [['sh', '-c', 'sleep 5 || { echo failed; sleep 100; }'], { seconds: 5, exact: false }, 2],
  [['sh', '-c', `'sleep' "10"`], { seconds: 10, exact: true }, 2],
  [['sh', '-c', 'sleep \\\n 10'], { seconds: 10, exact: true }, 2],
  [['bash', '-ec', 'sleep 5'], { seconds: 5, exact: true }, 2],
  [['sh', '-xc', 'sleep 5'], { seconds: 5, exact: true }, 2],
  [['sh', '-e', '-c', 'sleep 5'], { seconds: 5, exact: true }, 3],
  [['bash', '-o', 'pipefail', '-c', 'sleep 5'], { seconds: 5, exact: true }, 4],
  [['bash', '--norc', '-c', 'sleep 5'], { seconds: 5, exact: true }, 3],
  [['busybox', 'sh', '-c', 'sleep 5'], { seconds: 5, exact: true }, 3],
  [['/usr/bin/env', 'bash', '-c', 'sleep 5'], { seconds: 5, exact: true }, 3],
  [['sh', '-c', 'sleep 5', 'extra-$0'], { seconds: 5, exact: true }, 2],
  // Unknown: never guess.
  [['sh', '-c', 'sleep', '20'], undefined, undefined], // "20" is $0, the script is just `sleep`
  [['sh', '-c', 'sleep $DRAIN_TIME'], undefined, undefined],
  [['sh', '-c', 'sleep ${DRAIN_TIME:-10}'], undefined, undefined],
  [['sh', '-c', 'sleep "$DRAIN_TIME"'], undefined, undefined],
  [['sh', '-c', 'sleep $(cat /drain)'], undefined, undefined],
  [['sleep', '$(DRAIN_TIME)'], undefined, undefined],
  [['sleep', 'infinity'], undefined, undefined],
  [['sh', '-c', 'sleep infinity'], undefined, undefined],
  [['sleep'], undefined, undefined],
  [['sleep', '-5'], undefined, undefined],
  [['sleep', '1e3'], undefined, undefined],
  [['sleep', '10x'], undefined, undefined],
  [['sleep 10'], undefined, undefined],
  [['nginx', '-s', 'quit'], undefined, undefined],
  [['sh', '-c', 'nginx -s quit'], undefined, undefined],
  [['sh', '-c', 'nginx -s quit && sleep 5'], undefined, undefined],
  [['/bin/sh', '-c', LOOP], undefined, undefined],
  [['/scripts/prestop.sh'], undefined, undefined],
  [['sh', '/scripts/prestop.sh'], undefined, undefined],
  [['sh', '-c', 'sleep 10 &'], undefined, undefined],
  [['sh', '-c', 'sleep 10 | cat'], undefined, undefined],
  [['sh', '-c', 'sleep 10 > /dev/null'], undefined, undefined],
  [['sh', '-c', '(sleep 10)'], undefined, undefined],
  [['sh', '-c', "sleep '10"], undefined, undefined], // unterminated quote
  [['sh', '-c', 'true'], undefined, undefined],
  [['sh', '-c', ''], undefined, undefined],
  [['sh', '-c'], undefined, undefined],
  [['exec', 'sleep', '10'], undefined, undefined], // no shell: there is no `exec` binary
  [[], undefined, undefined],
];

for (const [command, expected, index] of sleeps) {
  test(`sleepDuration(${JSON.stringify(command)})`, () => {
    assert.deepEqual(sleepDuration(command), expected);
    assert.equal(sleepArgIndex(command), index);
  });
}

const shells: Array<[command: string[], expected: boolean]> = [
  [['sh', '-c', 'x'], true],
  [['bash', '-c', 'x'], true],
  [['/bin/sh', '-c', 'x'], true],
  [['/bin/bash', '-c', 'x'], true],
  [['ash', '-c', 'x'], true],
  [['dash', '-c', 'x'], true],
  [['zsh', '-c', 'x'], true],
  [['bash', '-ec', 'x'], true],
  [['sh', '-xc', 'x'], true],
  [['sh', '-c', '-e', 'x'], true],
  [['busybox', 'sh', '-c', 'x'], true],
  [['/usr/bin/env', 'bash', '-c', 'x'], true],
  [['sh', 'script.sh'], false],
  [['sh'], false],
  [['sh', '-c'], false],
  [['sh', '+c', 'x'], false],
  [['python', '-c', 'print(1)'], false],
  [['sleep', '10'], false],
  [['shell', '-c', 'x'], false],
  [[], false],
];

for (const [command, expected] of shells) {
  test(`isShellCommand(${JSON.stringify(command)}) = ${expected}`, () => {
    assert.equal(isShellCommand(command), expected);
  });
}

const netstatLoop = (grep: string, netstat = 'netstat -plunt | grep tcp'): string =>
  `while [ $(${netstat} | ${grep} | wc -l | xargs) -ne 0 ]; do sleep 1; done`;

type Loop = { excludesPilotAgent: boolean; argIndex: number } | undefined;

const loops: Array<[name: string, command: string[], expected: Loop]> = [
  ['classic grep -v envoy (never ends)', ['/bin/sh', '-c', LOOP], { excludesPilotAgent: false, argIndex: 2 }],
  ["egrep -v 'envoy|pilot-agent'", ['/bin/sh', '-c', netstatLoop("egrep -v 'envoy|pilot-agent'")], { excludesPilotAgent: true, argIndex: 2 }],
  ['grep -v -e envoy -e pilot-agent', ['/bin/sh', '-c', netstatLoop('grep -v -e envoy -e pilot-agent')], { excludesPilotAgent: true, argIndex: 2 }],
  ['grep -Ev "envoy|pilot-agent"', ['/bin/sh', '-c', netstatLoop('grep -Ev "envoy|pilot-agent"')], { excludesPilotAgent: true, argIndex: 2 }],
  ['grep -vE', ['sh', '-c', netstatLoop("grep -vE 'envoy|pilot-agent'")], { excludesPilotAgent: true, argIndex: 2 }],
  ['grep -E -v', ['sh', '-c', netstatLoop("grep -E -v 'envoy|pilot-agent'")], { excludesPilotAgent: true, argIndex: 2 }],
  ['grep --invert-match --extended-regexp', ['sh', '-c', netstatLoop("grep --invert-match --extended-regexp 'envoy|pilot-agent'")], { excludesPilotAgent: true, argIndex: 2 }],
  ['grep -ve envoy -e pilot-agent', ['sh', '-c', netstatLoop('grep -ve envoy -e pilot-agent')], { excludesPilotAgent: true, argIndex: 2 }],
  ['two inverted greps', ['sh', '-c', netstatLoop('grep -v envoy | grep -v pilot-agent')], { excludesPilotAgent: true, argIndex: 2 }],
  ['BRE \\| alternation', ['sh', '-c', netstatLoop("grep -v 'envoy\\|pilot-agent'")], { excludesPilotAgent: true, argIndex: 2 }],
  ['BRE literal | filters neither', ['sh', '-c', netstatLoop("grep -v 'envoy|pilot-agent'")], { excludesPilotAgent: false, argIndex: 2 }],
  ['grouped ERE', ['sh', '-c', netstatLoop("grep -Ev '(envoy|pilot-agent)'")], { excludesPilotAgent: true, argIndex: 2 }],
  ['case-insensitive', ['sh', '-c', netstatLoop("grep -viE 'ENVOY|PILOT-AGENT'")], { excludesPilotAgent: true, argIndex: 2 }],
  ['pilot prefix with .*', ['sh', '-c', netstatLoop("grep -Ev 'envoy|pilot.*'")], { excludesPilotAgent: true, argIndex: 2 }],
  ['-x never matches a netstat line', ['sh', '-c', netstatLoop("grep -vxE 'envoy|pilot-agent'")], { excludesPilotAgent: false, argIndex: 2 }],
  ['excluding only :15020 leaves pilot-agent :15004', ['sh', '-c', netstatLoop('grep -v envoy | grep -v 15020')], { excludesPilotAgent: false, argIndex: 2 }],
  ['excluding all :150xx ports', ['sh', '-c', netstatLoop("grep -v envoy | grep -v ':150'")], { excludesPilotAgent: true, argIndex: 2 }],
  ['quoted command substitution', ['sh', '-c', 'while [ "$(netstat -plnt | grep -v "envoy\\|pilot-agent" | grep -c LISTEN)" != "0" ]; do sleep 1; done'], { excludesPilotAgent: true, argIndex: 2 }],
  ['until, grep -c', ['sh', '-c', "until [ $(netstat -plnt | grep -Ev 'envoy|pilot-agent' | grep -c LISTEN) -eq 0 ]; do sleep 1; done"], { excludesPilotAgent: true, argIndex: 2 }],
  ['multi-line script', ['/bin/bash', '-ec', 'echo draining\nwhile [ $(netstat -plunt | grep tcp | grep -v envoy | grep -v pilot-agent | wc -l | xargs) -ne 0 ]\ndo\n  sleep 1\ndone\n'], { excludesPilotAgent: true, argIndex: 2 }],
  ['after a sleep', ['sh', '-c', `sleep 5 && ${LOOP}`], { excludesPilotAgent: false, argIndex: 2 }],
  ['busybox netstat', ['sh', '-c', netstatLoop("grep -Ev 'envoy|pilot-agent'", 'busybox netstat -plnt')], { excludesPilotAgent: true, argIndex: 2 }],
  ['backquotes', ['sh', '-c', 'while [ `netstat -plunt | grep tcp | grep -v envoy | wc -l` -ne 0 ]; do sleep 1; done'], { excludesPilotAgent: false, argIndex: 2 }],
  // Not the loop, or beyond the model.
  ['plain sleep', ['sleep', '10'], undefined],
  ['netstat without a loop', ['sh', '-c', 'netstat -plunt | grep -v envoy'], undefined],
  ['loop without netstat', ['sh', '-c', 'while true; do sleep 1; done'], undefined],
  ['loop that does not filter envoy', ['sh', '-c', 'while [ $(netstat -plunt | grep -c 8080) -ne 0 ]; do sleep 1; done'], undefined],
  ['patterns from a file', ['sh', '-c', netstatLoop('grep -v envoy | grep -v -f /tmp/ignore')], undefined],
  ['back-reference', ['sh', '-c', netstatLoop("grep -v envoy | grep -v '\\(pilot\\)-agent'")], undefined],
  ['empty', [], undefined],
];

for (const [name, command, expected] of loops) {
  test(`netstatWaitLoop: ${name}`, () => {
    assert.deepEqual(netstatWaitLoop(command), expected);
  });
}

const quits: Array<[command: string[], expected: boolean, port?: number]> = [
  [['curl', '-X', 'POST', 'localhost:15020/quitquitquit'], true],
  [['curl -X POST localhost:15020/quitquitquit'], true],
  [['sh', '-c', 'curl -sf -XPOST http://127.0.0.1:15020/quitquitquit'], true],
  [['curl', '-sfXPOST', 'http://127.0.0.1:15020/quitquitquit'], true],
  [['curl', '--request', 'POST', 'http://localhost:15020/quitquitquit'], true],
  [['curl', '-fsS', '-d', '', 'http://localhost:15020/quitquitquit'], true],
  [['curl', '-X', 'POST', 'http://[::1]:15020/quitquitquit'], true],
  [['wget', '--post-data', '', 'http://localhost:15020/quitquitquit'], true],
  [['sh', '-c', "wget --post-data '' http://localhost:15020/quitquitquit"], true],
  [['sh', '-c', 'wget -qO- --post-data= http://localhost:15020/quitquitquit'], true],
  [['wget', '--method=POST', 'http://localhost:15020/quitquitquit'], true],
  [['pilot-agent', 'request', 'POST', 'quitquitquit'], true],
  [['/usr/local/bin/pilot-agent', 'request', 'POST', '/quitquitquit'], true],
  [['pilot-agent', 'request', '--debug-port=15020', 'POST', 'quitquitquit'], true],
  [['/bin/sh', '-c', 'python job.py; x=$(curl -fsS -X POST http://localhost:15020/quitquitquit); exit $rc'], true],
  [['/bin/sh', '-c', 'run-job && curl -X POST "localhost:15020/quitquitquit"'], true],
  [['/bin/sh', '-c', 'run-job\ntimeout 5 curl -X POST localhost:15020/quitquitquit || true'], true],
  [['curl', '-X POST localhost:15020/quitquitquit'], true], // joined command + joined args
  [['curl', '-X', 'POST', 'localhost:15021/quitquitquit'], true, 15021],
  // Not the agent's quit.
  [['curl', '-X', 'POST', 'localhost:15000/quitquitquit'], false], // Envoy admin
  [['curl', '-X', 'POST', 'http://127.0.0.1:15000/quitquitquit'], false],
  [['curl', '-X', 'POST', 'localhost:15021/quitquitquit'], false],
  [['curl', '-X', 'POST', 'localhost:15020/quitquitquit'], false, 15021],
  [['curl', 'localhost:15020/quitquitquit'], false], // GET
  [['curl', '-G', '-d', 'x', 'localhost:15020/quitquitquit'], false],
  [['curl', '-X', 'post', 'localhost:15020/quitquitquit'], false], // the agent checks r.Method == "POST"
  [['wget', 'http://localhost:15020/quitquitquit'], false],
  [['curl', '-X', 'POST', 'http://10.0.0.7:15020/quitquitquit'], false], // agent only accepts loopback callers
  [['curl', '-X', 'POST', 'https://localhost:15020/quitquitquit'], false],
  [['curl', '-X', 'POST', 'localhost:15020/healthz/ready'], false],
  [['curl', '-X', 'POST', 'localhost:15020/quitquitquit/extra'], false],
  [['curl', '-X', 'POST', 'localhost/quitquitquit'], false],
  [['sh', '-c', 'echo quitquitquit'], false],
  [['pilot-agent', 'request', 'GET', 'quitquitquit'], false],
  [['pilot-agent', 'request', '--debug-port', '15000', 'POST', 'quitquitquit'], false],
  [['sleep', '10'], false],
  [[], false],
];

for (const [command, expected, port] of quits) {
  test(`callsAgentQuit(${JSON.stringify(command)}${port === undefined ? '' : `, ${port}`}) = ${expected}`, () => {
    assert.equal(callsAgentQuit(command, port), expected);
  });
}

test('never throws on malformed input', () => {
  const junk: unknown[] = [undefined, null, 42, 'sleep 10', {}, [1, 2], [null], ['sh', '-c', 7], [Symbol('x')]];
  for (const j of junk) {
    const c = j as readonly string[];
    assert.equal(sleepDuration(c), undefined);
    assert.equal(sleepArgIndex(c), undefined);
    assert.equal(netstatWaitLoop(c), undefined);
    assert.equal(callsAgentQuit(c), false);
    assert.equal(isShellCommand(c), false);
  }
  for (const s of ['"', "'", '$(', ')', '`', '\\', '"$(', '[', '(((', 'grep -e', 'while netstat | grep -v "[" ; done']) {
    for (const c of [[s], ['sh', '-c', s], ['sh', '-c', `while [ $(netstat | grep -v ${s}) ]; do :; done`]]) {
      sleepDuration(c);
      sleepArgIndex(c);
      netstatWaitLoop(c);
      callsAgentQuit(c);
      callsAgentQuit(c, 0);
    }
  }
});

test('handles very large scripts (no catastrophic backtracking: a hang fails the run)', () => {
  const big = [
    'sleep 1; '.repeat(20_000),
    '$('.repeat(50_000),
    '"'.repeat(100_000),
    'curl '.repeat(20_000) + 'quitquitquit',
    netstatLoop(`grep -Ev '${'e.*'.repeat(5_000)}|envoy'`),
    netstatLoop('grep -v envoy | '.repeat(2_000) + 'grep -v pilot-agent'),
    'netstat | '.repeat(20_000) + 'while done',
  ];
  for (const s of big) {
    const c = ['sh', '-c', s];
    sleepDuration(c);
    netstatWaitLoop(c);
    callsAgentQuit(c);
  }
  assert.deepEqual(sleepDuration(['sh', '-c', 'sleep 1; '.repeat(20_000)]), { seconds: 20_000, exact: true });
});
