{
  "variables": {
    "has_dnnl": "<!(node -p \"process.env.TUNEFLEET_NO_DNNL !== '1' && require('fs').existsSync('/usr/include/oneapi/dnnl/dnnl.hpp')\")"
  },
  "targets": [
    {
      "target_name": "tunefleet_native",
      "sources": [
        "native/addon.cc",
        "native/op-codes.cc",
        "native/thread-pool.cc",
        "native/accumulate.cc",
        "native/accumulate-binding.cc",
        "native/adamw.cc",
        "native/adamw-binding.cc",
        "native/attention.cc",
        "native/attention-binding.cc",
        "native/bf16.cc",
        "native/bf16-binding.cc",
        "native/dropout.cc",
        "native/dropout-binding.cc",
        "native/elementwise.cc",
        "native/elementwise-binding.cc",
        "native/gather.cc",
        "native/gather-binding.cc",
        "native/layer-norm.cc",
        "native/layer-norm-binding.cc",
        "native/layout.cc",
        "native/layout-binding.cc",
        "native/matmul.cc",
        "native/matmul-binding.cc",
        "native/shared-memory.cc",
        "native/unary.cc",
        "native/unary-binding.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "/usr/include/x86_64-linux-gnu/openblas-pthread",
        "/usr/include/openblas"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fno-trapping-math"],
      "libraries": ["-lopenblas", "-lpthread"],
      "conditions": [
        ["has_dnnl=='true'", {
          "defines": ["TUNEFLEET_HAVE_DNNL"],
          "libraries": ["-ldnnl", "-lgomp"]
        }]
      ]
    }
  ]
}
