// Code fixes for the BNG diagnostics live in this assembly (see issue: analyzers and code fixes).
