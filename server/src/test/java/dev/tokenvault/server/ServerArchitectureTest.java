package dev.tokenvault.server;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server's house rules, on its bytecode: it wires adapters only in {@code wiring}, never
 * reaches test code, never prints to the console, and never uses weak randomness.
 */
class ServerArchitectureTest {
  private static JavaClasses server;

  @BeforeAll
  static void importServer() {
    server = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.tokenvault.server");
  }

  @Test
  void onlyTheWiringKnowsTheAdapters() {
    noClasses().that().resideOutsideOfPackage("dev.tokenvault.server.wiring..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.tokenvault.store..", "dev.tokenvault.keys..")
        .check(server);
  }

  @Test
  void mainCodeNeverUsesTestCode() {
    noClasses().should().dependOnClassesThat()
        .resideInAnyPackage("dev.tokenvault.testkit..", "org.junit..", "org.assertj..")
        .check(server);
  }

  @Test
  void neverWritesToTheConsole() {
    // except the command-line tools (tokenvault audit ...), whose output is the console
    noClasses().that().resideOutsideOfPackage("dev.tokenvault.server.cli..").should().accessField(System.class, "out").orShould().accessField(System.class, "err")
        .check(server);
  }

  @Test
  void neverUsesNonCryptographicRandomness() {
    noClasses().should().dependOnClassesThat().haveFullyQualifiedName("java.util.Random")
        .check(server);
  }
}
