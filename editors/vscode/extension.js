// The kspolicy extension: starts `kspolicy lsp` (configurable) for .pol files, list
// files and property files. Highlighting comes from syntaxes/kspolicy.tmLanguage.json;
// everything else from the server (docs/editors.md).
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const settings = vscode.workspace.getConfiguration("kspolicy");
  const [command, ...args] = settings.get("command") || ["kspolicy", "lsp"];
  const root = settings.get("root");
  const limits = settings.get("limits") || {};
  const server = { command, args, transport: TransportKind.stdio };
  client = new LanguageClient(
    "kspolicy",
    "kspolicy",
    { run: server, debug: server },
    {
      documentSelector: [
        { scheme: "file", language: "kspolicy" },
        // list files (the server reports their errors and defines their lists) and
        // property files (it says what `kspolicy prove --property` would)
        { scheme: "file", pattern: "**/*.toml" },
      ],
      initializationOptions: root ? { root, limits } : { limits },
      // the `kspolicy` settings sent again whenever they change: the server applies
      // a new root or new limits without a restart
      synchronize: { configurationSection: "kspolicy" },
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
