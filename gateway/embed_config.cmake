# Writes INPUT into OUTPUT as a C++ raw string literal.
file(READ ${INPUT} content)
file(WRITE ${OUTPUT} "// Generated from config/herald.yaml; do not edit.\n"
  "namespace herald::gateway {\n"
  "extern const char* const kEmbeddedConfig;\n"
  "const char* const kEmbeddedConfig = R\"herald_yaml(${content})herald_yaml\";\n"
  "}\n")
