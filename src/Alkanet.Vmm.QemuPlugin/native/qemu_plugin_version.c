/* QEMU checks this data symbol before calling qemu_plugin_install; 4 = the plugin API with
   register and guest-virtual memory reads (QEMU >= 10.0). C# cannot export data, hence this file. */
__attribute__((visibility("default"))) int qemu_plugin_version = 4;
