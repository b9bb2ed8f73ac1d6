/// What a controller has done since it was built (not reset by controller resets), for the host
/// profile, the bench and the SMART / vendor log pages.
public struct NVMeControllerCounters: Sendable, Equatable {
    /// Admin commands fetched.
    public var adminCommands: UInt64 = 0
    /// I/O commands fetched.
    public var ioCommands: UInt64 = 0
    /// Read commands completed successfully.
    public var readCommands: UInt64 = 0
    /// Write commands completed successfully.
    public var writeCommands: UInt64 = 0
    /// Compare and Verify commands completed successfully (SMART counts them as reads).
    public var otherReadCommands: UInt64 = 0
    /// Bytes read by Read commands.
    public var bytesRead: UInt64 = 0
    /// Bytes written by Write commands.
    public var bytesWritten: UInt64 = 0
    /// Completions with an error status.
    public var errorCompletions: UInt64 = 0
    /// Unrecovered read errors and write faults (SMART Media and Data Integrity Errors).
    public var mediaErrors: UInt64 = 0
    /// Doorbell writes ignored: before RDY, to a queue that does not exist, or out of range.
    public var ignoredDoorbells: UInt64 = 0
    /// Times a submission queue stopped fetching because its completion queue was full.
    public var completionQueueFullStalls: UInt64 = 0
    /// Times the controller set CSTS.CFS.
    public var fatalErrors: UInt64 = 0
    /// Resets (NSSR, PCI reset) while enabled without a shutdown notification.
    public var unsafeShutdowns: UInt64 = 0
    /// Interrupt messages requested.
    public var interrupts: UInt64 = 0

    /// All zero.
    public init() {}
}
