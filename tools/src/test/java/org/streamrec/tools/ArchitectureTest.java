package org.streamrec.tools;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module and package boundaries a maintainer relies on, checked on the compiled main classes of every module
 * (this module's test class path holds them all): model-core knows nothing of Flink, Kafka or the jobs; the jobs
 * know nothing of the tools; the trainer does not reach into serving; and no two packages depend on each other.
 */
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                .importPackages("org.streamrec");
    }

    @Test
    void modelCoreUsesNeitherFlinkNorKafkaNorTheJobs() {
        noClasses().that().resideInAnyPackage("org.streamrec.model..", "org.streamrec.baselines..",
                        "org.streamrec.data..", "org.streamrec.eval..", "org.streamrec.cli..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.flink..", "org.apache.kafka..",
                        "org.streamrec.flink..", "org.streamrec.tools..")
                .check(classes);
    }

    @Test
    void jobsDoNotUseTheTools() {
        noClasses().that().resideInAPackage("org.streamrec.flink..")
                .should().dependOnClassesThat().resideInAPackage("org.streamrec.tools..")
                .check(classes);
    }

    @Test
    void trainerDoesNotReachIntoServing() {
        noClasses().that().resideInAPackage("org.streamrec.flink.training..")
                .should().dependOnClassesThat().resideInAPackage("org.streamrec.flink.serving..")
                .check(classes);
    }

    @Test
    void noPackageCycles() {
        slices().matching("org.streamrec.(**)").should().beFreeOfCycles().check(classes);
    }
}
