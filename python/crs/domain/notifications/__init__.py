"""Payment notifications (docs/notifications.md): events -> notices -> delivery, dues and the late-payment workflow."""
