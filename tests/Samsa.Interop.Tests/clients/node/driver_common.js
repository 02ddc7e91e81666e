// What the KafkaJS driver scripts share: loading KafkaJS, the --name value argument list, and their output.
'use strict';

// Ends the process with a message on stderr (exit code 2 for usage errors).
function fail(message, code = 1) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

// KafkaJS from this folder's node_modules, or exit 3 saying how to install it.
function loadKafkajs() {
  try {
    return require('kafkajs');
  } catch (error) {
    fail(`kafkajs cannot be loaded from ${__dirname} (${error.message}). Run 'npm ci' in ${__dirname}.`, 3);
  }
  return undefined;
}

// "--name value" pairs over the defaults; every name in required must be given.
function parseOptions(argv, defaults, required) {
  const options = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) fail(`bad argument list: ${argv.join(' ')}`, 2);
    options[argv[i].slice(2)] = argv[i + 1];
  }
  for (const name of required) {
    if (!options[name]) fail(`--${name} is required`, 2);
  }
  return options;
}

// One JSON line on stdout; resolves once it is handed to the OS (process.exit() could cut a pipe write short).
function emit(document) {
  return new Promise((resolve) => process.stdout.write(`${JSON.stringify(document)}\n`, resolve));
}

// A key or value as UTF-8 text, null for null.
function text(buffer) {
  return buffer === null || buffer === undefined ? null : buffer.toString('utf8');
}

module.exports = { fail, loadKafkajs, parseOptions, emit, text };
