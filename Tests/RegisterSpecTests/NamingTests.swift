import RegisterSpec
import Testing

@Suite("Spec names become Swift identifiers by one documented rule")
struct NamingTests {
    @Test(arguments: [
        ("TableSize", "tableSize"),
        ("MSIXEnable", "msixEnable"),
        ("VFEnable", "vfEnable"),
        ("IOSpaceEnable", "ioSpaceEnable"),
        ("ECRCError", "ecrcError"),
        ("BIR", "bir"),
        ("VFMSE", "vfmse"),
        ("L0sExitLatency", "l0sExitLatency"),
        ("MSI64", "msi64"),
        ("Is64BitCapable", "is64BitCapable"),
        ("PCIeCapabilities", "pcieCapabilities"),
        ("x1", "x1"),
        ("GT2_5", "gt2_5"),
        ("64BitCapable", "_64BitCapable"),
    ])
    func lowerCamel(name: String, expected: String) {
        #expect(SwiftNaming.lowerCamel(name) == expected)
    }

    @Test func keywordsAreEscapedAndRegisterMembersSuffixed() {
        #expect(SwiftNaming.memberIdentifier("Default") == "`default`")
        #expect(SwiftNaming.fieldIdentifier("Reset") == "resetField")
        #expect(SwiftNaming.fieldIdentifier("Count") == "countField")
        #expect(SwiftNaming.fieldIdentifier("Offset") == "offsetField")
        #expect(SwiftNaming.fieldIdentifier("In") == "`in`")
    }

    @Test func valueEnumerationTypeNames() {
        #expect(SwiftNaming.valueTypeName(forField: "MaxPayloadSize") == "MaxPayloadSizeValue")
        #expect(SwiftNaming.valueTypeName(forField: "x") == "XValue")
        #expect(SwiftNaming.valueTypeName(forField: "64Bit") == "_64BitValue")
    }

    @Test func registerNamesMustBeTypeNames() {
        #expect(SwiftNaming.isTypeName("MessageControl"))
        #expect(!SwiftNaming.isTypeName("messageControl"))
        #expect(!SwiftNaming.isTypeName("Type"))
        #expect(!SwiftNaming.isTypeName("Bad-Name"))
        let found = problems(
            loading: specYAML(
                registers: """
                      - { name: "Message Control", offset: 0x00, width: 2 }
                    """))
        #expect(found.first?.description.contains("register Message Control: invalid name 'Message Control'") == true)
    }
}
