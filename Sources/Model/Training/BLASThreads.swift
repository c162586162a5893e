import COpenBLAS

/// OpenBLAS's own worker threads, process-wide.
///
/// With bfloat16 training the frozen products run on AMX split over the cores by our own work
/// items, and what is left for OpenBLAS is small (rank-r LoRA products, attention per head).
/// OpenBLAS workers spin (`sched_yield`) for a while after each call, competing with those work
/// items for the same cores; measured on 2 shared cores, a 256-token SmolLM2 bf16 step used 20-50%
/// more CPU time with 2 OpenBLAS threads than with 1, and was slower. So a `ModelRuntime` readied for
/// bfloat16 training sets 1 here (`ModelRuntime.prepareForTraining`); nothing above Model sets it.
public enum BLASThreads {
    /// OpenBLAS's current thread count.
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Sets OpenBLAS's thread count for every later call in this process.
    public static func set(_ threads: Int) { openblas_set_num_threads(Int32(max(1, threads))) }
}
