package dev.tokenvault.testkit;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The house rules of {@code core}, checked on its bytecode: no framework, no driver, no cloud
 * SDK; crypto only through Tink and the crypto package; no console output; no weak randomness.
 */
class CoreArchitectureTest {
  private static JavaClasses core;

  @BeforeAll
  static void importCore() {
    core =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.tokenvault.core");
  }

  @Test
  void coreKnowsNoFrameworkDriverOrCloudSdk() {
    noClasses()
        .that()
        .resideInAPackage("dev.tokenvault.core..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "java.sql..",
            "javax.sql..",
            "io.quarkus..",
            "io.vertx..",
            "jakarta..",
            "org.springframework..",
            "software.amazon..",
            "com.amazonaws..",
            "dev.tokenvault.store..",
            "dev.tokenvault.keys..",
            "dev.tokenvault.server..")
        .check(core);
  }

  @Test
  void coreNeverWritesToTheConsole() {
    noClasses()
        .should()
        .accessField(System.class, "out")
        .orShould()
        .accessField(System.class, "err")
        .check(core);
  }

  @Test
  void coreNeverUsesNonCryptographicRandomness() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .haveFullyQualifiedName("java.util.Random")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("java.util.concurrent.ThreadLocalRandom")
        .orShould()
        .callMethod(Math.class, "random")
        .check(core);
  }

  @Test
  void rawJceCiphersOnlyInsideTheCryptoPackage() {
    noClasses()
        .that()
        .resideOutsideOfPackage("dev.tokenvault.core.crypto..")
        .should()
        .dependOnClassesThat()
        .haveFullyQualifiedName("javax.crypto.Cipher")
        .check(core);
  }
}
