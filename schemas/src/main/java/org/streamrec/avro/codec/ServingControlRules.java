package org.streamrec.avro.codec;

import java.util.ArrayList;
import java.util.List;
import org.streamrec.avro.ServingControl;

/**
 * Field rules for {@link ServingControl} that the Avro schema cannot express: each command's required argument.
 * Messages never quote the user id (they end up in logs).
 */
public final class ServingControlRules {

  private ServingControlRules() {
  }

  /** Every rule the command breaks; empty when it is valid. */
  public static List<String> violations(ServingControl control) {
    List<String> violations = new ArrayList<>();
    if (control.getCommandId() == null || control.getCommandId().isBlank()) {
      violations.add("commandId is blank");
    }
    if (control.getCommand() == null) {
      violations.add("command is missing");
      return violations;
    }
    switch (control.getCommand()) {
      case PIN_MODEL_VERSION -> {
        if (control.getModelVersion() == null) {
          violations.add("PIN_MODEL_VERSION needs modelVersion");
        } else if (control.getModelVersion() < 0) {
          violations.add("modelVersion " + control.getModelVersion() + " is negative");
        }
      }
      case DELETE_USER -> {
        String user = control.getUserId();
        if (user == null || user.isBlank()) {
          violations.add("DELETE_USER needs userId");
        } else if (user.length() > ClickEventRules.MAX_ID_LENGTH) {
          violations.add("userId has " + user.length() + " chars (limit " + ClickEventRules.MAX_ID_LENGTH + ")");
        }
      }
      case UNPIN_MODEL_VERSION -> {
      }
    }
    return violations;
  }
}
