/**
 * The Drainguard VS Code extension: starts the bundled language server over stdio and adds
 * two commands. Everything else (diagnostics, quick fixes, hovers) comes from the server.
 */
import * as path from 'node:path';
import { commands, env, Uri, window, workspace, type ExtensionContext } from 'vscode';
import { CloseAction, LanguageClient, TransportKind, type ErrorHandler, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { ruleDocsUrl } from '../../server/src/engine/rules/docs';
import { RULES } from '../../server/src/engine/rules/registry';

let client: LanguageClient | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.stdio },
    debug: { module: serverModule, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
  };
  // The client restarts a crashed server by itself (up to 4 times in 3 minutes, then it gives up
  // and says so). Tell the user once, readably. `closed()` is called only when the connection
  // closes unexpectedly, not for the restart command or deactivation, which stop the client first.
  // (A state listener cannot tell: a crash goes Running -> Stopped -> Starting, like a restart.)
  let toldUser = false;
  let defaults: ErrorHandler | undefined;
  const base = (): ErrorHandler => (defaults ??= client!.createDefaultErrorHandler());
  const errorHandler: ErrorHandler = {
    error: (error, message, count) => base().error(error, message, count),
    closed: async () => {
      const result = await base().closed();
      if (result.action === CloseAction.Restart && !toldUser) {
        toldUser = true;
        // Short enough for a toast's one line; the button opens the server's log.
        void window.showWarningMessage('Drainguard restarted its language server after a crash.', 'Show Output').then((choice) => {
          if (choice === 'Show Output') client?.outputChannel.show(true);
        });
      }
      return result;
    },
  };
  const clientOptions: LanguageClientOptions = {
    errorHandler,
    // YAML files, untitled buffers and virtual file systems; Helm templates too (documents that
    // do not parse because of template syntax get no findings).
    documentSelector: [{ language: 'yaml' }, { language: 'helm' }],
    synchronize: { fileEvents: workspace.createFileSystemWatcher('**/.drainguard.{yaml,yml}') },
  };
  client = new LanguageClient('drainguard', 'Drainguard', serverOptions, clientOptions);

  context.subscriptions.push(
    commands.registerCommand('drainguard.restartServer', async () => {
      await client?.restart();
    }),
    commands.registerCommand('drainguard.openRuleDocs', async (id?: string) => {
      const ruleId =
        typeof id === 'string'
          ? id
          : (await window.showQuickPick(
              RULES.map((r) => ({ label: r.id, description: r.severity, detail: r.title })),
              { placeHolder: 'Open the docs of a Drainguard rule' },
            ))?.label;
      if (ruleId) await env.openExternal(Uri.parse(ruleDocsUrl(ruleId)));
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
