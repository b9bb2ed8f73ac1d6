/// A reference to an object that outlives it safely, without `weak`: timers, wire ports and
/// other callbacks hold the target strongly and reach the object through it until the object's
/// `deinit` clears it, so a callback that runs after the object is gone does nothing.
///
/// Not `[weak self]`: forming a weak reference gives an object a side table for good, after which
/// every retain and release of it takes Swift's slow reference-counting path — and device models
/// are retained on every MMIO access through their function's model reference.
public final class LifetimeTarget<Object: AnyObject> {
    /// The live object; nil once its owner cleared it (in the object's `deinit`).
    public unowned(unsafe) var object: Object?

    /// A target with no object yet (the object sets itself once initialised).
    public init() {}
}
