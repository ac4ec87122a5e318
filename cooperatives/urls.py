from django.urls import path

from . import views, views_links, views_registry, views_reless, views_requests

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.my_space, name="my_space"),
    # A CTD agent's commune
    path("communes/<str:pcode>/dashboard/", views_registry.commune_dashboard,
         name="commune_dashboard"),
    path("communes/<str:pcode>/organisations/", views_registry.organisation_list,
         name="organisation_list"),
    path("communes/<str:pcode>/organisations/new/", views_registry.organisation_create,
         name="organisation_create"),
    path("communes/<str:pcode>/change-requests/", views_requests.commune_change_requests,
         name="commune_change_requests"),
    path("communes/<str:pcode>/links/", views_links.commune_links, name="commune_links"),
    path("communes/<str:pcode>/reless/", views_reless.reless_detail, name="reless_detail"),
    path("communes/<str:pcode>/reless/edit/", views_reless.reless_edit, name="reless_edit"),
    path("communes/<str:pcode>/reless/members/", views_reless.reless_membership,
         name="reless_membership"),
    path("communes/<str:pcode>/reless/bureau/new/", views_reless.bureau_member_create,
         name="bureau_member_create"),
    path("reless/bureau/<int:pk>/edit/", views_reless.bureau_member_edit,
         name="bureau_member_edit"),
    # Organisations
    path("organisations/", views_registry.organisation_list, name="organisation_list_all"),
    path("organisations/<int:pk>/", views_registry.organisation_detail,
         name="organisation_detail"),
    path("organisations/<int:pk>/edit/", views_registry.organisation_edit,
         name="organisation_edit"),
    path("organisations/<int:pk>/archive/", views_registry.organisation_archive,
         name="organisation_archive"),
    path("organisations/<int:pk>/events/new/", views_registry.registry_event_create,
         name="registry_event_create"),
    path("organisations/<int:pk>/propose/", views_requests.change_propose,
         name="change_propose"),
    path("organisations/<int:pk>/links/new/", views_links.link_propose, name="link_propose"),
    # Change requests and links
    path("change-requests/<int:pk>/", views_requests.change_request_detail,
         name="change_request_detail"),
    path("change-requests/<int:pk>/review/", views_requests.change_request_review,
         name="change_request_review"),
    path("links/<int:pk>/", views_links.link_detail, name="link_detail"),
    path("links/<int:pk>/confirm/", views_links.link_confirm, name="link_confirm"),
    path("links/<int:pk>/refuse/", views_links.link_refuse, name="link_refuse"),
    path("links/<int:pk>/end/", views_links.link_end, name="link_end"),
]
