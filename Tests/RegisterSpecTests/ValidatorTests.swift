import RegisterSpec
import Testing

@Suite("Validator rejects broken layouts with located messages")
struct ValidatorTests {
    @Test func overlappingRegistersNameBothRegistersAndTheFile() {
        let found = problems(
            loading: specYAML(
                registers: """
                      - { name: Control, offset: 0x00, width: 4 }
                      - { name: Status, offset: 0x02, width: 2 }
                    """))
        #expect(found.count == 1)
        let text = found.first?.description ?? ""
        #expect(found.first?.kind == .overlappingRegisters(other: "Control", offset: 0x02))
        #expect(text.contains("DeviceSpecs/test/bad.yaml"))
        #expect(text.contains("register Status"))
        #expect(text.contains("overlaps register Control at offset 0x2"))
    }

    @Test func registerInsideAnArrayGapIsAllowedButOnAnInstanceIsRejected() {
        let gap = problems(
            loading: specYAML(
                registers: """
                      - { name: Queue, offset: 0x00, width: 4, count: 4, stride: 8 }
                      - { name: Doorbell, offset: 0x0C, width: 4 }
                    """))
        #expect(gap.isEmpty)
        let found = problems(
            loading: specYAML(
                registers: """
                      - { name: Queue, offset: 0x00, width: 4, count: 4, stride: 8 }
                      - { name: Doorbell, offset: 0x10, width: 4 }
                    """))
        #expect(
            found.map(\.description) == [
                "DeviceSpecs/test/bad.yaml:7: register Doorbell: overlaps register Queue[2] at offset 0x10"
            ])
    }

    @Test func overlappingArrayInstancesOfTwoArrays() {
        let found = problems(
            loading: specYAML(
                registers: """
                      - { name: Low, offset: 0x00, width: 4, count: 4, stride: 8 }
                      - { name: High, offset: 0x04, width: 4, count: 4, stride: 4 }
                    """))
        #expect(found.count == 1)
        #expect(found.first?.description.contains("register High[1]: overlaps register Low[1] at offset 0x8") == true)
    }

    @Test func arrayWhoseStrideIsBelowItsWidthOverlapsItself() {
        let found = problems(
            loading: specYAML(
                registers: """
                      - { name: Table, offset: 0x00, width: 4, count: 3, stride: 2 }
                    """))
        #expect(found.first?.kind == .badArray(count: 3, stride: 2, width: 4))
        #expect(found.first?.description.contains("register Table: array of 3 with stride 2 and width 4") == true)
    }

    @Test func fieldWiderThanItsRegister() {
        let found = problems(
            loading: specYAML(
                registers: """
                      - name: Pointer
                        offset: 0x00
                        width: 1
                        fields:
                          - { name: Next, bits: "8:0", access: ro }
                    """))
        #expect(found.count == 1)
        #expect(found.first?.kind == .fieldOutsideRegister(msb: 8, lsb: 0, registerBits: 8))
        #expect(
            found.first?.description
                == "DeviceSpecs/test/bad.yaml:10: register Pointer, field Next: bits 8:0 lie outside the 8-bit register")
    }

    @Test func unknownAccessKind() {
        let found = problems(
            loading: specYAML(
                registers: """
                      - name: Control
                        offset: 0x00
                        width: 2
                        fields:
                          - { name: Enable, bits: 0, access: rx }
                    """))
        #expect(found.first?.kind == .unknownAccess("rx"))
        let text = found.first?.description ?? ""
        #expect(text.contains("bad.yaml:10"))
        #expect(text.contains("register Control, field Enable"))
        #expect(text.contains("unknown access kind 'rx' (known: rw, ro, wo, w1c, rc, hwinit, reserved)"))
    }

    @Test func widthMustBeOneTwoFourOrEight() {
        let found = problems(
            loading: specYAML(
                registers: """
                      - { name: Odd, offset: 0x00, width: 3 }
                    """))
        #expect(found.map(\.description) == ["DeviceSpecs/test/bad.yaml:6: register Odd: width 3 is not 1, 2, 4 or 8 bytes"])
    }

    @Test func overlappingFields() {
        let found = problems(
            loading: specYAML(
                registers: """
                      - name: Control
                        offset: 0x00
                        width: 2
                        fields:
                          - { name: Mode, bits: "3:0", access: rw }
                          - { name: Enable, bits: 3, access: rw }
                    """))
        #expect(found.count == 1)
        #expect(found.first?.field == "Enable")
        #expect(found.first?.description.contains("register Control, field Enable: overlaps field Mode") == true)
    }

    @Test func registerPastTheEndOfTheBlock() {
        let found = problems(
            loading: specYAML(
                size: "0x10",
                registers: """
                      - { name: Table, offset: 0x08, width: 4, count: 3 }
                    """))
        #expect(found.first?.kind == .registerOutsideBlock(offset: 0x08, end: 0x14, blockSize: 0x10))
        #expect(found.first?.description.contains("register Table: bytes 0x8..<0x14 lie outside the block size 0x10") == true)
    }

    @Test func duplicateRegisterAndFieldNames() {
        let found = problems(
            loading: specYAML(
                registers: """
                      - name: Control
                        offset: 0x00
                        width: 2
                        fields:
                          - { name: Enable, bits: 0, access: rw }
                          - { name: Enable, bits: 1, access: rw }
                      - { name: Control, offset: 0x04, width: 2 }
                    """))
        #expect(found.contains { $0.kind == .duplicateName("Control") && $0.register == "Control" && $0.field == nil })
        #expect(found.contains { $0.kind == .duplicateName("Enable") && $0.field == "Enable" })
    }

    @Test func resetValueWiderThanTheRegister() {
        let found = problems(
            loading: specYAML(
                registers: """
                      - { name: Small, offset: 0x00, width: 1, reset: 0x100 }
                    """))
        #expect(found.first?.description.contains("register Small: reset value 0x100 does not fit in 1 byte(s)") == true)
    }

    @Test func enumeratedValueWiderThanItsField() {
        let found = problems(
            loading: specYAML(
                registers: """
                      - name: Control
                        offset: 0x00
                        width: 2
                        fields:
                          - { name: Mode, bits: "1:0", access: rw, values: { off: 0, turbo: 4 } }
                    """))
        #expect(found.first?.kind == .valueTooWide(name: "turbo", value: 4, fieldWidth: 2))
    }

    @Test func unknownAndMissingKeysAreReported() {
        let found = problems(
            loading: """
                block: TestBlock
                size: 0x10
                registers:
                  - { name: Control, offset: 0x00, width: 2, acess: rw }
                """)
        #expect(found.contains { $0.kind == .missingKey("module") })
        #expect(found.contains { $0.kind == .unknownKey("acess") && $0.register == "Control" && $0.line == 4 })
    }

    @Test func malformedYAMLIsAProblemNotACrash() {
        let found = problems(loading: "block: [unclosed")
        #expect(found.count == 1)
        if case .yamlSyntax = found.first?.kind {} else { Issue.record("expected a YAML syntax problem, got \(found)") }
    }

    @Test func everyProblemOfAFileIsReportedAtOnce() {
        let found = problems(
            loading: specYAML(
                registers: """
                      - { name: Odd, offset: 0x00, width: 3 }
                      - { name: Wide, offset: 0x04, width: 1, reset: 0x1FF }
                      - { name: Late, offset: 0x40, width: 4 }
                    """))
        #expect(found.count == 3)
        #expect(found.map(\.register) == ["Odd", "Wide", "Late"])
    }
}
