using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Alkanet.SyntheticBoot.Tests")]
