package dev.tokenvault.server.auth;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The OAuth2 scope a route needs (DESIGN.md's route table). A resource method with neither this
 * nor {@link PublicRoute} is refused to everyone: routes fail closed.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface RequiresScope {
  String value();
}
