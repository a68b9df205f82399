// Rules for the bootable synthetic Windows guest's sample (tests/Alkanet.Introspection.TestKit/Boot/SampleProgram.cs):
// they match the file it drops and the buffers it writes into notepad.exe and over the child it hollows.
rule Synthetic_Windows_Dropped : windows dropper
{
    meta:
        description = "the synthetic Windows sample's dropped file"
        attack = "T1105"
        severity = "medium"
    strings:
        $p = "alkanet synthetic sample: MZ payload"
    condition:
        $p at 0
}

rule Synthetic_Windows_Injected : windows injection
{
    meta:
        description = "the synthetic Windows sample's code written into another process"
        mitre_attack = "T1055"
    strings:
        $code = "ALKANET-SYNTHETIC-INJECTED-CODE:"
        $image = "ALKANET-SYNTHETIC-HOLLOWED-IMAGE"
    condition:
        any of them
}
