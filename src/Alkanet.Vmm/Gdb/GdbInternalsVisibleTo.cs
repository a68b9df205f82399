using System.Runtime.CompilerServices;

// The guard's arming is internal (only the client arms it); its tests arm it directly.
[assembly: InternalsVisibleTo("Alkanet.Vmm.Tests")]
