{
  "variables": {
    "rdkafka_deps": "<!(node -p \"require('path').join(require('path').dirname(require.resolve('node-rdkafka/package.json')), 'build', 'deps')\")"
  },
  "targets": [
    {
      "target_name": "seda_mock",
      "sources": ["mock_cluster.c"],
      "include_dirs": ["<(rdkafka_deps)/include"],
      "libraries": ["-L<(rdkafka_deps)", "-l:librdkafka.so.1", "-Wl,-rpath,<(rdkafka_deps)"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-ignored-qualifiers"]
    }
  ]
}
