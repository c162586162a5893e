// swift-tools-version:6.0
// fedhds: federated data-efficient instruction tuning (FedHDS) as an actor-based simulator.
// Dependencies point one way: fedhds -> Actors -> {Model, Selection, Data, Transport}.
import PackageDescription

let package = Package(
    name: "fedhds",
    products: [
        .executable(name: "fedhds", targets: ["fedhds"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0")
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZeroMQ", path: "Sources/CZeroMQ", pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]),
        // AVX2 + FMA kernels for few-row products (decoding), picked at run time.
        .target(name: "CKernels"),
        .target(name: "Model", dependencies: ["COpenBLAS", "CKernels"]),
        .target(name: "Selection", dependencies: ["COpenBLAS"]),
        .target(name: "Data"),
        // AVX-512 byte kernels of the Transport module (copying float frames), picked at run time.
        .target(name: "CWire"),
        .target(name: "Transport", dependencies: ["CZeroMQ", "CWire"]),
        // The transport benchmark (`fedhds transport-bench`, bench/transport.sh), outside the library.
        .target(name: "TransportBench", dependencies: ["Transport", "CZeroMQ"], path: "bench/TransportBench"),
        .target(
            name: "Actors",
            dependencies: [
                "Model", "Selection", "Data", "Transport",
                .product(name: "TOMLKit", package: "TOMLKit")
            ]),
        .executableTarget(
            name: "fedhds",
            dependencies: [
                "Actors", "Model", "Selection", "Data", "Transport", "TransportBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ]),
        // Helpers shared by the test targets (the seeded generator tests pass in).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ModelTests", dependencies: ["Model", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "SelectionTests", dependencies: ["Selection", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "Model", "TestSupport"], exclude: ["Golden"]),  // Model: tokenizer goldens of prompts
        .testTarget(name: "TransportTests", dependencies: ["Transport", "TestSupport"]),
        .testTarget(name: "ActorsTests", dependencies: ["Actors"], exclude: ["Golden"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Actors", "fedhds"])
    ]
)
