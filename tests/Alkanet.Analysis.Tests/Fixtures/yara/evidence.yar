// Rules the evidence tests ship: they match what the samples and the tests write.
rule Elf_Dropped : elf dropper
{
    meta:
        description = "an ELF executable written to disk"
        attack = "T1105"
        severity = "medium"
    strings:
        $magic = { 7F 45 4C 46 }
    condition:
        $magic at 0
}

rule Injected_Payload : injection
{
    meta:
        description = "the recognisable payload of samples/injector"
        mitre_attack = "T1055.008"
    strings:
        $p = "INJECTED-PAYLOAD"
    condition:
        $p
}
