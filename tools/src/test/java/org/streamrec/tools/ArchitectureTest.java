package org.streamrec.tools;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import java.util.regex.Pattern;
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
                .withImportOption(ArchitectureTest::isProjectMainCode)
                .importPackages("org.streamrec");
        // Every module's classes are in, or the rules below would pass on a partial picture.
        for (String moduleClass : new String[] {"org.streamrec.avro.ClickEvent", "org.streamrec.model.Gru4RecModel",
                "org.streamrec.flink.serving.RecommenderJob", "org.streamrec.tools.demo.EmbeddedDemo"}) {
            assertThat(classes.contain(moduleClass)).as("imported %s", moduleClass).isTrue();
        }
    }

    /**
     * The project's modules come in as class folders under {@code test} and as their packaged jars under
     * {@code verify}; both sit in a module's {@code target}. Third-party jars (the local Maven repository) and test
     * jars are left out.
     */
    private static boolean isProjectMainCode(Location location) {
        return location.matches(PROJECT_MAIN_CODE) && !location.contains("-tests.jar");
    }

    private static final Pattern PROJECT_MAIN_CODE =
            Pattern.compile(".*/(schemas|model-core|flink-jobs|tools)/target/(classes/|[a-z-]+-[0-9][^/]*\\.jar).*");

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
