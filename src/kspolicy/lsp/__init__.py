"""Editor support: the language server (`kspolicy lsp`) and highlighting.

The server's knowledge is in pure functions over the syntax trees and the checked
policy, testable without a client: `project` reads a policy with the editor's unsaved
buffers laid over the files on disk and checks it as `kspolicy check` does; `index`
finds every name a policy declares and every place that uses one; `features` answers
hover, completion, definition, references, symbols, rename, formatting and code lenses
from them. `server` is the thin pygls layer that turns those answers into the Language
Server Protocol's messages (pygls is the optional extra `lsp`). `lexer` is the Pygments
lexer, registered by entry point, so that documentation colours `kspolicy` blocks.
"""
