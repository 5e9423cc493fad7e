"""Front doors: the ``igedit`` CLI, the chat REPL and the MCP server. All thin."""
