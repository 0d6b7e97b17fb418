package org.streamrec.model;

import java.util.function.Supplier;

/**
 * Picks a kernel's Vector API implementation when the JVM can run it. The Vector API classes are loaded by name
 * only after {@code jdk.incubator.vector} is known to be resolved, because merely linking them without the module
 * fails; without it (a plain {@code java -jar}), or with {@code -Dstreamrec.simd=false}, the scalar implementation
 * runs. Every kernel keeps both implementations' results equal, so the choice changes speed only.
 */
final class SimdImplementations {

    private SimdImplementations() {
    }

    static <T> T choose(Class<T> type, String vectorClassName, Supplier<T> scalar) {
        if (!Boolean.parseBoolean(System.getProperty("streamrec.simd", "true"))
                || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return scalar.get();
        }
        try {
            return type.cast(Class.forName(vectorClassName).getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | LinkageError e) {
            return scalar.get();
        }
    }
}
