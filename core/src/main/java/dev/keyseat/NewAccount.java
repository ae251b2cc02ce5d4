package dev.keyseat;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * Command: the operator creates an account with its first administrator.
 *
 * @param name display name, 1–200 characters of readable text (see the package overview)
 * @param firstAdmin the user who becomes the account's first {@link Role#ADMIN}
 * @param licenses licenses contracted from the start, 0 to {@link Account#MAX_LICENSES} (1,000,000)
 */
public record NewAccount(
    @NotNull @Size(max = 200, message = Constraints.MAX_TEXT_MESSAGE)
        @Pattern(regexp = Constraints.NO_KEY, message = Constraints.NO_KEY_MESSAGE) @FreeText(required = true) String name,
    @NotNull UserId firstAdmin,
    @Min(value = 0, message = Constraints.LICENSES_MESSAGE)
    @Max(value = Account.MAX_LICENSES, message = Constraints.LICENSES_MESSAGE) int licenses) {}
